"""Result tables, plots and log parsing behind `parse_test_res.py`."""
