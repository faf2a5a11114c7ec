"""Olist (Brazilian marketplace) public dataset: CSV tables → canonical facts."""
