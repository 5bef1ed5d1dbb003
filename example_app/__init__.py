"""Example host application for flask-aiconvos: a coworking back office (``create_app``)."""

from .app import create_app

__all__ = ["create_app"]
