"""The Hugging Face dataset: build, splits, statistics, card, plots, text-free, rehydration, Hub."""
