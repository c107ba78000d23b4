"""Suqiu (诉求): community appeals and grassroots governance."""

__version__ = "0.1.0"
