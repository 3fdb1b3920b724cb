"""Stand-alone audit tools, standard library and ``cryptography`` only, so that an auditor can
check an export on their own machine without the rest of the product: the RFC 9162 Merkle tree
(``merkle``), C2SP signed notes and checkpoints (``note``) and the export verifier
(``python -m carepassport.audit.verify_export``)."""
