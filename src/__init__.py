"""Care Passport core: employer-sponsored, mandatory, expiring micro-credential training."""

__version__ = "0.1.0"
