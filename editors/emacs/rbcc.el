;;; rbcc.el --- Roboconf graph/instances modes wired to the rbcc language server (eglot)  -*- lexical-binding: t; -*-

;; Usage (Emacs 28 + elpa-eglot, or Emacs 29+ with built-in eglot):
;;   (add-to-list 'load-path "/path/to/rbcc/editors/emacs")
;;   (require 'rbcc)
;;   (add-hook 'roboconf-graph-mode-hook #'eglot-ensure)
;;   (add-hook 'roboconf-instances-mode-hook #'eglot-ensure)
;; The server command is `rbcc-server-command' (default: "rbcc lsp").

;;; Code:
(require 'eglot)

(defgroup rbcc nil "Roboconf language support." :group 'languages)

(defcustom rbcc-server-command '("rbcc" "lsp")
  "Command starting the rbcc language server."
  :type '(repeat string))

(defcustom rbcc-debounce-ms 200
  "Delay before the server validates after an edit."
  :type 'integer)

(defvar roboconf-font-lock-keywords
  '(("^\\s-*\\(facet\\|instance of\\|import\\)\\b" 1 font-lock-keyword-face)
    ("^\\s-*\\([A-Za-z_][A-Za-z0-9_.-]*\\)\\s-*:" 1 font-lock-variable-name-face)
    ("^\\s-*\\(?:facet\\s-+\\|instance of\\s-+\\)?\\([A-Za-z_][A-Za-z0-9_.-]*\\)\\s-*{" 1 font-lock-type-face)))

(defvar roboconf-mode-syntax-table
  (let ((st (make-syntax-table)))
    (modify-syntax-entry ?# "<" st)
    (modify-syntax-entry ?\n ">" st)
    st))

(define-derived-mode roboconf-graph-mode prog-mode "Roboconf-Graph"
  "Major mode for Roboconf .graph files."
  :syntax-table roboconf-mode-syntax-table
  (setq-local comment-start "# ")
  (setq-local indent-tabs-mode t)
  (setq-local font-lock-defaults '(roboconf-font-lock-keywords)))

(define-derived-mode roboconf-instances-mode prog-mode "Roboconf-Instances"
  "Major mode for Roboconf .instances files."
  :syntax-table roboconf-mode-syntax-table
  (setq-local comment-start "# ")
  (setq-local indent-tabs-mode t)
  (setq-local font-lock-defaults '(roboconf-font-lock-keywords)))

(add-to-list 'auto-mode-alist '("\\.graph\\'" . roboconf-graph-mode))
(add-to-list 'auto-mode-alist '("\\.instances\\'" . roboconf-instances-mode))

(defclass rbcc-eglot-server (eglot-lsp-server) ()
  :documentation "The rbcc language server.")

(cl-defmethod eglot-initialization-options ((_server rbcc-eglot-server))
  (list :debounceMs rbcc-debounce-ms))

(add-to-list 'eglot-server-programs
             `((roboconf-graph-mode roboconf-instances-mode)
               . (rbcc-eglot-server . ,(lambda (&rest _) rbcc-server-command))))

(provide 'rbcc)
;;; rbcc.el ends here
