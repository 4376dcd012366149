

densesignature_def