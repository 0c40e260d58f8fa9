"""Cases: filing incidents with evidence, from draft to submission."""
