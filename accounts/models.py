"""No models: roles are auth groups (see roles.py). This module lets post_migrate reach the app."""
