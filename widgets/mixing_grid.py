"""Mixing grid: style layers × anchors, each cell a weight; click or drag fills, the wheel fine-tunes."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from widgets.palette import anchor_color

ROW_H = 19
HEADER_H = 22
COL_W = 58
WHEEL_STEP = 0.1  # weight per wheel notch (Shift: a tenth of it)


class MixingGrid(QWidget):
    """A painted table: rows are the generator's style layers (coarse at the top), columns the anchors.

    A cell shows the anchor's share of its row (rows are normalised when rendering) as a bar in the anchor's
    colour and a percentage. Left-click a cell: that layer takes this anchor only; drag up or down to fill
    more layers with it. The wheel over a cell raises or lowers its raw weight (Shift: finer) for blends.

    Signals
    -------
    cellsEdited(edits: list)
        New raw weights as (row, column, value) triples.
    editStarted(), editFinished()
        Bracket a drag (one drag = one undo step).
    """

    cellsEdited = Signal(list)
    editStarted = Signal()
    editFinished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self._rows: list[list[float]] = []
        self._row_labels: list[str] = []
        self._col_labels: list[str] = []
        self._drag: tuple[int, int] | None = None  # (column, last row) of a fill drag
        self._hover: tuple[int, int] | None = None
        self.setToolTip("Click: this layer takes the anchor only · drag up/down: fill more layers · "
                        "wheel: fine-tune a weight (Shift: finer)")

    # ------------------------------------------------------------------ view API
    def set_table(self, rows: list[list[float]], row_labels: list[str], col_labels: list[str]) -> None:
        """Show raw weights ``rows`` [layer][anchor] with layer and anchor names."""
        resized = (len(row_labels), len(col_labels)) != (len(self._row_labels), len(self._col_labels))
        self._rows = [list(r) for r in rows]
        self._row_labels, self._col_labels = list(row_labels), list(col_labels)
        if resized:
            self.updateGeometry()
        self.update()

    def table(self) -> list[list[float]]:
        return [list(r) for r in self._rows]

    def shares(self) -> list[list[float]]:
        """Each row normalised to sum 1 (a zero row shows no share)."""
        return [[v / sum(r) if sum(r) > 0 else 0.0 for v in r] for r in self._rows]

    def label_width(self) -> int:
        fm = QFontMetrics(self.font())
        return max([fm.horizontalAdvance(t) for t in self._row_labels] + [40]) + 12

    def cell_rect(self, row: int, col: int) -> QRect:
        return QRect(self.label_width() + col * COL_W, HEADER_H + row * ROW_H, COL_W - 2, ROW_H - 2)

    def cell_at(self, pos: QPointF | QPoint) -> tuple[int, int] | None:
        x, y = int(pos.x()) - self.label_width(), int(pos.y()) - HEADER_H
        if x < 0 or y < 0:
            return None
        row, col = y // ROW_H, x // COL_W
        return (row, col) if row < len(self._rows) and col < len(self._col_labels) else None

    def sizeHint(self) -> QSize:
        return QSize(self.label_width() + COL_W * max(len(self._col_labels), 1) + 4,
                     HEADER_H + ROW_H * max(len(self._rows), 1) + 4)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = self.palette()
        text = pal.text().color()
        lw = self.label_width()
        for c, label in enumerate(self._col_labels):
            r = QRect(lw + c * COL_W, 0, COL_W - 2, HEADER_H - 3)
            p.fillRect(r.adjusted(0, r.height() - 3, 0, 0), QColor(*anchor_color(c)))
            p.setPen(text)
            elided = p.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, COL_W - 4)
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, elided)
        shares = self.shares()
        for row, label in enumerate(self._row_labels):
            y = HEADER_H + row * ROW_H
            p.setPen(text)
            p.drawText(QRect(2, y, lw - 8, ROW_H - 2), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       label)
            for c in range(len(self._col_labels)):
                cell = self.cell_rect(row, c)
                share = shares[row][c] if row < len(shares) and c < len(shares[row]) else 0.0
                p.fillRect(cell, pal.base().color())
                colour = QColor(*anchor_color(c))
                colour.setAlpha(int(60 + 195 * share) if share > 0 else 0)
                p.fillRect(QRect(cell.x(), cell.y(), round(cell.width() * share), cell.height()), colour)
                if self._hover == (row, c):
                    p.setPen(pal.highlight().color())
                    p.drawRect(cell.adjusted(0, 0, -1, -1))
                p.setPen(text)
                p.drawText(cell, Qt.AlignmentFlag.AlignCenter, f"{share * 100:.0f}%" if share > 0 else "·")
        p.end()

    # ------------------------------------------------------------------ interaction
    def _fill(self, col: int, rows: range) -> None:
        k = len(self._col_labels)
        edits = [(r, j, 1.0 if j == col else 0.0) for r in rows for j in range(k)]
        for r, j, v in edits:
            self._rows[r][j] = v
        self.update()
        self.cellsEdited.emit(edits)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and cell is not None:
            self._drag = (cell[1], cell[0])
            self.editStarted.emit()
            self._fill(cell[1], range(cell[0], cell[0] + 1))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        hover = self.cell_at(pos)
        if hover != self._hover:
            self._hover = hover
            self.update()
        if self._drag is None:
            return
        col, last = self._drag
        row = min(max(int(pos.y()) - HEADER_H, 0) // ROW_H, len(self._rows) - 1)
        if row != last:  # every row between the last and this one: fast drags skip none
            step = 1 if row > last else -1
            self._fill(col, range(last + step, row + step, step))
            self._drag = (col, row)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drag = None
            self.editFinished.emit()
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event: object) -> None:
        self._hover = None
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        cell = self.cell_at(event.position())
        notches = event.angleDelta().y() / 120.0
        if cell is None or not notches:
            super().wheelEvent(event)
            return
        fine = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        row, col = cell
        value = min(max(self._rows[row][col] + notches * WHEEL_STEP * (0.1 if fine else 1.0), 0.0), 1.0)
        self._rows[row][col] = round(value, 4)
        self.update()
        self.cellsEdited.emit([(row, col, self._rows[row][col])])
        event.accept()
