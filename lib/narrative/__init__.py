"""Plain-language sentences built from the same result objects as the numbers."""
