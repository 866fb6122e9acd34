"""The UI shell: base layout, navigation from plugins, tenant switcher, shared partials and core pages."""
