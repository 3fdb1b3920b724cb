"""Badges adapters: pinned JSON-LD contexts, Data Integrity proofs (eddsa-rdfc-2022), Multikey
keys and the key folder, badge images, and baking credentials into PNG and SVG."""
