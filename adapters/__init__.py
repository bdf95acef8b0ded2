"""Adapters: one module per model family member, each wrapping a model behind a family protocol.

Every module declares `ADAPTERS = (AdapterSpec(...),)` and keeps heavy imports inside the
class, so discovery (`rankbench list adapters`) imports nothing but numpy.
"""
