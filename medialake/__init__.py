"""medialake package."""
