"""MarginWatch: a tray monitor for Binance USDⓈ-M futures margin and liquidation risk."""

__version__ = "0.1.0"
APP_NAME = "MarginWatch"
