"""Reports read stored results only and render them: terminal, HTML, Markdown, JSON, JUnit."""
