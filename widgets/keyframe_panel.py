"""Keyframe list for videos: time per keyframe, reorder, delete, jump to, export."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

MAX_TIME = 36000.0


class KeyframePanel(QWidget):
    """A table of keyframes (time in seconds, a short description); edits are intent signals.

    Signals
    -------
    addRequested()
        Capture the current view (camera + style) as a keyframe.
    removeRequested(row: int)
    moveRequested(row: int, delta: int)
        Move a keyframe up (-1) or down (+1); it takes the neighbour's time, so order = time order.
    timeEdited(row: int, seconds: float)
    activated(row: int)
        Double-click: go to that keyframe's view.
    exportRequested()
        Export Video….
    saveRequested()
        Save the keyframes as a JSON file (for ``main.py video``).
    """

    addRequested = Signal()
    removeRequested = Signal(int)
    moveRequested = Signal(int, int)
    timeEdited = Signal(int, float)
    activated = Signal(int)
    exportRequested = Signal()
    saveRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Time", "View"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setToolTip("Double-click a keyframe to go to its view")
        self.table.cellDoubleClicked.connect(lambda row, _col: self.activated.emit(row))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.add_button = self._button("Add Keyframe", "Capture the current camera and style (Ctrl+K)",
                                       self.addRequested.emit)
        self.up_button = self._button("Up", "Move the selected keyframe earlier", lambda: self._move(-1))
        self.down_button = self._button("Down", "Move the selected keyframe later", lambda: self._move(1))
        self.remove_button = self._button("Remove", "Delete the selected keyframe",
                                          lambda: self._emit_row(self.removeRequested))
        self.export_button = self._button("Export Video…", "Render the keyframes as a video or PNG frames",
                                          self.exportRequested.emit)
        self.save_button = self._button("Save Keyframes…", "Write a keyframes .json for 'main.py video'",
                                        self.saveRequested.emit)
        self._summary = QLabel()
        grid = QGridLayout()
        grid.addWidget(self.add_button, 0, 0, 1, 2)
        grid.addWidget(self.up_button, 1, 0)
        grid.addWidget(self.down_button, 1, 1)
        grid.addWidget(self.remove_button, 2, 0, 1, 2)
        grid.addWidget(self.export_button, 3, 0)
        grid.addWidget(self.save_button, 3, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self._summary)
        layout.addLayout(grid)
        self.set_keyframes([])

    def _button(self, text: str, tip: str, slot: object) -> QPushButton:
        b = QPushButton(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    # ------------------------------------------------------------------ view API
    def set_keyframes(self, rows: list[tuple[float, str]], selected: int | None = None) -> None:
        """Show (time, description) rows; ``selected`` keeps a row selected (None: keep the selection)."""
        if selected is None:
            selected = self.selected_row()
        with QSignalBlocker(self.table):
            old_rows = self.table.rowCount()
            self.table.setRowCount(len(rows))
            for i, (time, text) in enumerate(rows):
                if i >= old_rows:  # boxes are reused: a time edit re-sorts the list from inside the box's signal
                    self.table.setCellWidget(i, 0, self._time_box(i))
                box = self.time_box(i)
                with QSignalBlocker(box):
                    box.setValue(time)
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(i, 1, item)
            if 0 <= selected < len(rows):
                self.table.selectRow(selected)
            else:
                self.table.clearSelection()
        n = len(rows)
        span = rows[-1][0] - rows[0][0] if n >= 2 else 0.0
        self._summary.setText("No keyframes yet: set up a view and press Add Keyframe." if n == 0 else
                              f"{n} keyframe{'s' if n != 1 else ''}, {span:g} s")
        self.export_button.setEnabled(n >= 2)
        self.save_button.setEnabled(n >= 1)
        self._update_buttons()

    def _time_box(self, row: int) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(0.0, MAX_TIME)
        box.setDecimals(2)
        box.setSingleStep(0.25)
        box.setSuffix(" s")
        box.setKeyboardTracking(False)
        box.setToolTip("Time of this keyframe in the video (seconds)")
        box.valueChanged.connect(lambda v: self.timeEdited.emit(row, float(v)))
        return box

    def time_box(self, row: int) -> QDoubleSpinBox:
        box = self.table.cellWidget(row, 0)
        assert isinstance(box, QDoubleSpinBox)
        return box

    def selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return rows[0].row() if rows else -1

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def row_count(self) -> int:
        return self.table.rowCount()

    # ------------------------------------------------------------------ internals
    def _emit_row(self, signal: SignalInstance) -> None:
        row = self.selected_row()
        if row >= 0:
            signal.emit(row)

    def _move(self, delta: int) -> None:
        row = self.selected_row()
        if 0 <= row + delta < self.table.rowCount() and row >= 0:
            self.moveRequested.emit(row, delta)

    def _update_buttons(self) -> None:
        row, n = self.selected_row(), self.table.rowCount()
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < n - 1)
