"""order-assistant: gets a buyer out of a marketplace order and follows the refund."""

__version__ = "0.1.0"
