"""mock_site package."""
