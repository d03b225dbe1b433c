# A package so that ops/test_color.py and metrics/test_color.py can share a basename under pytest.
