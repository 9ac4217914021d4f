"""The demo page served at `/`: plain HTML, CSS and a little JavaScript over the public API."""
