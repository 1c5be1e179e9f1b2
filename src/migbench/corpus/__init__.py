"""Corpus: the seed documents, their cleaning rules, segmentation into units and the tokenizer."""
