"""Tools (seed 8): typed functions the assistant may call, built in or from MCP servers."""
