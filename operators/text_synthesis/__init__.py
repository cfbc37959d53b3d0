"""Text synthesis operators (DataFlow text_sft / text_pt): SFT pairs, Condor, Alpagasus, Phi-4 QA, meta scores."""
