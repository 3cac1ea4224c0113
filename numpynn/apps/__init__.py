"""Apps: the command line, the demo, ``numpynn serve`` and its web page, predict's file I/O.

The top layer: nothing in numpynn imports it.
"""
