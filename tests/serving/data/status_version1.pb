

dense