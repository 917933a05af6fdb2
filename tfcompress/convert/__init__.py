"""TFLite conversion of stage models into variants, host evaluation and the variant table."""
