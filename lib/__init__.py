"""Launch Review: did the release work? Library code shared by the Streamlit app and the CLI."""
