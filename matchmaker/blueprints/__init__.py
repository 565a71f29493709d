"""Blueprints, one package per audience: thin routes, forms and templates."""
