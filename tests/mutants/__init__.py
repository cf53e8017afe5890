"""Wrong and right answers for every graded exercise: see corpus.py for the format."""
