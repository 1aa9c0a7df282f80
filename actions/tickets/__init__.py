"""The VIN report desk: customers send a VIN, managers take the ticket and answer with a PDF report."""
