"""What the image and video export dialogs share: a file row with Browse…, an error line, Export / Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def pair_row(left: QWidget, right: QWidget) -> QHBoxLayout:
    """``left × right`` (a width and height pair)."""
    row = QHBoxLayout()
    row.addWidget(left)
    row.addWidget(QLabel("×"))
    row.addWidget(right)
    return row


class ExportFormDialog(QDialog):
    """Base of the export dialogs: subclasses build their form, call `_assemble` and implement
    `_on_export_clicked` (Export pressed) and `_on_browse_clicked` (Browse… pressed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path = QLineEdit()
        self._error = QLabel()
        self._error.setWordWrap(True)
        self._error.setStyleSheet("color: #e06c6c;")
        self._error.hide()
        self._buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self._buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self._buttons.accepted.connect(self._on_export_clicked)
        self._buttons.rejected.connect(self.reject)

    def error_text(self) -> str:
        """The reason shown when an export cannot start ('' when none)."""
        return self._error.text()

    def _path_row(self) -> QHBoxLayout:
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        row = QHBoxLayout()
        row.addWidget(self._path, 1)
        row.addWidget(browse)
        return row

    def _assemble(self, form: QFormLayout, *notes: QWidget) -> None:
        """The dialog's layout: the form, the note lines under it, the error line and the buttons."""
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for w in notes:
            layout.addWidget(w)
        layout.addWidget(self._error)
        layout.addWidget(self._buttons)

    def set_error(self, text: str) -> None:
        self._error.setText(text)
        self._error.setVisible(bool(text))

    def _on_export_clicked(self) -> None:
        raise NotImplementedError

    def _on_browse_clicked(self) -> None:
        raise NotImplementedError
