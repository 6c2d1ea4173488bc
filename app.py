"""Launch Review: did the release work? Entry point: page config, shared sidebar, navigation."""

from pathlib import Path

import streamlit as st

from app_pages import HERE, PAGES
from lib import ui

st.set_page_config(page_title="Launch Review", page_icon=":material/rocket_launch:", layout="wide")

page = st.navigation(
    [
        st.Page(str(HERE / path), title=title, icon=icon, url_path=Path(path).stem)
        for path, title, icon in PAGES
        if (HERE / path).exists()
    ]
)
ui.draw_sidebar()
page.run()
