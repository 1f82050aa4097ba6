"""Seed browser: a page of thumbnails of neighbouring seeds; clicking one picks it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

COLUMNS = 3
ROWS = 4


class SeedBrowser(QWidget):
    """A grid of ``COLUMNS x ROWS`` seed thumbnails with page navigation.

    Signals
    -------
    seedPicked(seed: int)
        A thumbnail was clicked.
    pageRequested(first: int)
        Show the page that starts at seed ``first`` (previous / next / around the current seed).
    """

    seedPicked = Signal(int)
    pageRequested = Signal(int)

    def __init__(self, thumb_size: int = 64, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._thumb = thumb_size
        self._first = 0
        self._current: int | None = None
        self._buttons: list[QToolButton] = []
        grid = QGridLayout()
        grid.setSpacing(4)
        for i in range(COLUMNS * ROWS):
            b = QToolButton()
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            b.setIconSize(QSize(thumb_size, thumb_size))
            b.setCheckable(True)
            b.setAutoRaise(True)
            b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
            b.clicked.connect(lambda _=False, i=i: self.seedPicked.emit(self._first + i))
            grid.addWidget(b, i // COLUMNS, i % COLUMNS)
            self._buttons.append(b)
        prev = QPushButton("◀")
        prev.setToolTip("Previous seeds")
        prev.clicked.connect(lambda: self.pageRequested.emit(max(self._first - self.page_size(), 0)))
        nxt = QPushButton("▶")
        nxt.setToolTip("Next seeds")
        nxt.clicked.connect(lambda: self.pageRequested.emit(self._first + self.page_size()))
        around = QPushButton("Around current")
        around.setToolTip("Show the seeds around the active anchor's seed")
        around.clicked.connect(self._on_around_clicked)
        self._range = QLabel()
        nav = QHBoxLayout()
        nav.addWidget(prev)
        nav.addWidget(self._range, 1, Qt.AlignmentFlag.AlignCenter)
        nav.addWidget(nxt)
        layout = QVBoxLayout(self)
        layout.addLayout(nav)
        layout.addLayout(grid)
        layout.addWidget(around)
        layout.addStretch(1)
        self._first = -1  # force the first page to draw
        self.set_page(0, None)

    def page_size(self) -> int:
        return len(self._buttons)

    def first(self) -> int:
        return self._first

    def seeds(self) -> list[int]:
        return [self._first + i for i in range(self.page_size())]

    def thumb_size(self) -> int:
        return self._thumb

    def set_page(self, first: int, current: int | None) -> None:
        """Show seeds ``first ...``; thumbnails stay blank until `set_thumbnail` fills them."""
        changed = first != self._first
        self._first = max(first, 0)
        for i, b in enumerate(self._buttons):
            b.setText(f"seed {self._first + i}")
            b.setToolTip(f"Use seed {self._first + i} for the active anchor")
            if changed or b.icon().isNull():
                b.setIcon(self._blank())
                b.setProperty("has_thumbnail", False)
        self._range.setText(f"seeds {self._first}–{self._first + self.page_size() - 1}")
        self.set_current(current)

    def current(self) -> int | None:
        return self._current

    def set_current(self, seed: int | None) -> None:
        self._current = seed
        for i, b in enumerate(self._buttons):
            b.setChecked(seed == self._first + i)

    def set_thumbnail(self, seed: int, image: np.ndarray) -> None:
        i = seed - self._first
        if not 0 <= i < self.page_size():
            return
        a = np.ascontiguousarray(image, dtype=np.uint8)
        h, w = a.shape[:2]
        qimage = QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        pixmap = QPixmap.fromImage(qimage).scaled(self._thumb, self._thumb,
                                                 Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)
        self._buttons[i].setIcon(QIcon(pixmap))
        self._buttons[i].setProperty("has_thumbnail", True)

    def has_thumbnail(self, seed: int) -> bool:
        i = seed - self._first
        return 0 <= i < self.page_size() and bool(self._buttons[i].property("has_thumbnail"))

    def button(self, seed: int) -> QToolButton:
        return self._buttons[seed - self._first]

    def _blank(self) -> QIcon:
        pixmap = QPixmap(self._thumb, self._thumb)
        pixmap.fill(Qt.GlobalColor.darkGray)
        return QIcon(pixmap)

    def _on_around_clicked(self) -> None:
        if self._current is not None:
            self.pageRequested.emit(max(self._current - self.page_size() // 2, 0))
