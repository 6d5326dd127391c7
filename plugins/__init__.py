"""xeploai's built-in rule plugins. Each registers through the ``xeploai.plugins`` entry point
group, exactly as a province's own plugin does; the core imports none of them."""
