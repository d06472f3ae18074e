"""Search in the words shoppers type: synonyms, condition words, typos, the search page."""
