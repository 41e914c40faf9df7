"""The app's tabs: one module per family (``genimg.ui.<family>.build``) plus shared controls.

Tabs call ``genimg.pipeline`` / ``genimg.explore`` only and receive uint8 arrays, never tensors.
"""
