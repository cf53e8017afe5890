"""Helpers for the browser tests: a JupyterLab server and headless Chromium (see lab.py)."""
