"""Fetching the datasets, split files and AnchorOPT inputs: ``python -m datasets.fetch --help``.

``sources.yaml`` (one level up) is the table of sources; ``table`` reads it, ``transfer`` moves and
verifies one file, ``unpack`` extracts and checks a layout, ``install`` puts a dataset in place,
``assets`` handles the AnchorOPT files and ImageNet's manual steps.
"""
