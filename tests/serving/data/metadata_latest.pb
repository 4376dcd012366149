

densesignature_def