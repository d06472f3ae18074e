"""Back office: articles (Markdown editor, server-side preview, embed checks) and doctors."""
