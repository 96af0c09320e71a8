"""The grading panel's form: the editor's text or an uploaded .py file, and a one-time token.

Content checks (empty, size, UTF-8, NUL, syntax, names) are not form errors: they are the
submission's `error` verdict, saved with the text (grading/submissions.py). The form only
refuses what is not a Python module at all (another kind of file, a file far too large to
be one), which is never saved.
"""

from __future__ import annotations

import secrets
from pathlib import PurePath

from django import forms
from django.core.files.uploadedfile import UploadedFile

from grading.submissions import MAX_ORIGINAL_BYTES

NOTEBOOK_HINT = (
    "That is a Jupyter notebook. Export your code as a Python file (in Jupyter: "
    "File → Save and Export Notebook As → Executable Script), or paste it into the editor."
)


def new_token() -> str:
    return secrets.token_urlsafe(16)


class SubmissionForm(forms.Form):
    source = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    file = forms.FileField(required=False)
    token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean_file(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("file")
        if upload is None:
            return None
        suffix = PurePath(upload.name or "").suffix.lower()
        if suffix == ".ipynb":
            raise forms.ValidationError(NOTEBOOK_HINT)
        if suffix not in (".py", ".txt"):
            raise forms.ValidationError(f"Upload your module as a .py file (got “{upload.name}”).")
        if upload.size is not None and upload.size > MAX_ORIGINAL_BYTES:
            raise forms.ValidationError(
                f"“{upload.name}” is {upload.size / 1024 / 1024:.1f} MB; a submission can be at "
                "most 256 KB. Upload only the module with your solution."
            )
        return upload

    def submitted(self) -> tuple[str | bytes, str]:
        """(source, filename): the uploaded file's bytes if there is one, else the editor's
        text with the browser's CRLF line ends made LF."""
        upload: UploadedFile | None = self.cleaned_data.get("file")
        if upload is not None:
            return upload.read(), upload.name or "solution.py"
        return self.cleaned_data.get("source", "").replace("\r\n", "\n"), "solution.py"

    def error_text(self) -> list[str]:
        return [str(message) for messages in self.errors.values() for message in messages]
