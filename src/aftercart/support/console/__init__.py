"""The agent's console (``/ops/support/``) and the helpdesk sidebar: pages over the support app's
conversations and every subject of an order (docs/support-console.md)."""
