"""Mark notebooks trusted for this user, as `jupyter trust` does (used after the site build
adds fallback images to executed notebooks). Usage: python3 trust_notebook.py NOTEBOOK..."""
import sys

import nbformat
from nbformat.sign import NotebookNotary

notary = NotebookNotary()
for path in sys.argv[1:]:
    notary.sign(nbformat.read(path, as_version=4))
