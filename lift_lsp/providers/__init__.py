"""Who answers the DSPy signatures: the local static engine now; LLM routes join later."""
