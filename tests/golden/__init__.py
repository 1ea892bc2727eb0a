"""Golden digests of the stored results (issue 16): made by make_results_golden.py from the code before the speed-up."""
