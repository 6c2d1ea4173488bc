"""Launch Review: did the release work? Entry point: page config, shared sidebar, navigation."""

from pathlib import Path

import streamlit as st

from lib import ui

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="Launch Review", page_icon=":material/rocket_launch:", layout="wide")

PAGES = [
    ("pages/activity.py", "Activity", ":material/monitoring:"),
    ("pages/retention.py", "Retention", ":material/grid_on:"),
    ("pages/funnels.py", "Funnels", ":material/filter_alt:"),
    ("pages/adoption.py", "Feature adoption", ":material/widgets:"),
    ("pages/experiments.py", "Experiments", ":material/science:"),
    ("pages/data.py", "Data", ":material/database:"),
]

pages = [
    st.Page(str(HERE / path), title=title, icon=icon, url_path=Path(path).stem)
    for path, title, icon in PAGES
    if (HERE / path).exists()
]
page = st.navigation(pages)
ui.draw_sidebar()
page.run()
