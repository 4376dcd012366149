

dense