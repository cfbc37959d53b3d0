"""An invalid spec gives one clear error naming the file, line, step and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dataflow_assets.cli.errors import ExitStatus
from dataflow_assets.cli.main import main
from dataflow_assets.spec.catalog import load_all_specs, spec_paths
from dataflow_assets.spec.loader import SpecError, load_spec

GOOD = """\
name: tiny
raw:
  columns: {text: string}
steps:
  - name: words
    op: WordNumberFilter
    config: {min_words: 2, max_words: 100}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_good_spec_loads(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.name == "tiny" and spec.steps[0].config == {"min_words": 2, "max_words": 100}


def test_unknown_operator_names_file_line_step_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("WordNumberFilter", "WordNumberFiltr"))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    message = str(err.value)
    assert f"{path}:6:9" in message
    assert "step 'words'" in message and "field 'steps[0].op'" in message
    assert "unknown operator 'WordNumberFiltr'" in message and "WordNumberFilter" in message


def test_column_no_earlier_step_produces(tmp_path: Path) -> None:
    text = GOOD + "    inputs: {text: body}\n"
    with pytest.raises(SpecError) as err:
        load_spec(write(tmp_path, text))
    assert "field 'steps[0].inputs.text'" in str(err.value)
    assert "column 'body' is not in raw.columns nor produced by an earlier step" in str(err.value)


def test_bad_config_value_and_unknown_config_field(tmp_path: Path) -> None:
    text = GOOD.replace("min_words: 2", "min_words: lots, colour: red")
    with pytest.raises(SpecError) as err:
        load_spec(write(tmp_path, text))
    message = str(err.value)
    assert "field 'steps[0].config.min_words'" in message
    assert "field 'steps[0].config.colour'" in message and "Extra inputs are not permitted" in message
    assert f"{tmp_path / 'spec.yaml'}:7:" in message


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        load_spec(write(tmp_path, GOOD.replace("{text: string}", "{text: string")))
    assert "YAML syntax" in str(err.value) and "spec.yaml:4:" in str(err.value)


def test_duplicate_steps_and_reserved_names(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="step name 'words' is used twice"):
        load_spec(write(tmp_path, GOOD + "  - name: words\n    op: WordNumberFilter\n"))
    with pytest.raises(SpecError, match=r"spec.yaml:8:11: step 'export', field 'steps\[1\].name': .* is reserved"):
        load_spec(write(tmp_path, GOOD + "  - name: export\n    op: WordNumberFilter\n"))
    with pytest.raises(SpecError, match=r"step 'a__index'.* may not contain '__'"):
        load_spec(write(tmp_path, GOOD + "  - name: a__index\n    op: WordNumberFilter\n"))


def test_builtin_specs_are_valid_and_cli_agrees(tmp_path: Path) -> None:
    names = {spec.name for spec in load_all_specs()}
    assert "text_pretrain_filter" in names
    runner = CliRunner()
    ok = runner.invoke(main, ["specs"])
    assert ok.exit_code == 0, ok.output
    assert all(f"ok  {name}" in ok.output for name in names)
    bad = runner.invoke(main, ["specs", str(write(tmp_path, GOOD.replace("WordNumberFilter", "Nope")))])
    assert bad.exit_code == ExitStatus.BAD_SPEC and "unknown operator 'Nope'" in bad.output
    assert spec_paths()


def test_a_minimum_above_its_maximum_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"step 'words', field 'steps\[0\].config': .*min_words \(100\) is greater "
                                        r"than max_words \(5\): no row could pass"):
        load_spec(write(tmp_path, GOOD.replace("{min_words: 2, max_words: 100}", "{min_words: 100, max_words: 5}")))
    diverse = GOOD.replace("WordNumberFilter", "LexicalDiversityFilter").replace(
        "{min_words: 2, max_words: 100}", "{min_scores: {mtld: 90, hdd: 0.1}, max_scores: {mtld: 50, hdd: 1.0}}")
    with pytest.raises(SpecError, match=r"min_scores\['mtld'\] \(90.0\) is greater than max_scores\['mtld'\] \(50.0\)"):
        load_spec(write(tmp_path, diverse))


def test_a_drop_reason_check_must_name_a_reason_the_operator_gives(tmp_path: Path) -> None:
    checked = GOOD + "    checks:\n      - {check: drop_reason_share, reason: too_short, max: 0.5}\n"
    with pytest.raises(SpecError, match=r"field 'steps\[0\].checks\[0\].reason': WordNumberFilter never drops a row "
                                        r"for 'too_short' \(its reasons: null_text, word_count_below_min, "):
        load_spec(write(tmp_path, checked))
    assert load_spec(write(tmp_path, checked.replace("too_short", "word_count_below_min"))).steps[0].checks
