"""Run tags that say where a run's raw file came from: set by the sensor and by ``dataflow run``, read by raw."""

SOURCE_TAG = "dataflow/source"  # the raw file as its user named it (the sensor's path, dataflow run's input)
SENSED_SHA256_TAG = "dataflow/content_sha256"  # the file's content hash when the sensor saw it
