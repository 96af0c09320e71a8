"""Code that runs *inside* the sandbox. It is bind-mounted read-only into the jail,
so nothing here may import Django, settings, the reference models or grading.runner."""
