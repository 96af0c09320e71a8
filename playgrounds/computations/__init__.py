"""Computations that playgrounds run on a worker: one module per playground.

Every module here is imported when the app is ready (``PlaygroundsConfig.ready``) so that
its ``@jobs.job`` functions are registered in the web process and on the worker alike.
Modules must therefore import torch (and anything slow) inside their functions only.
"""
